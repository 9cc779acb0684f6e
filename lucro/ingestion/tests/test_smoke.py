from lucro.testing import make_batch


def test_ingest_returns_202_with_location(api):
    response = api.post("/api/v1/integrations/transactions/", make_batch(3))
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/batches/{body['batch_id']}/"
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
