"""The statement-line normaliser: what every enricher reads of a transaction's description.

Some integrations send a wallet's or a bank's **notification** as the description — an
M-Pesa confirmation SMS, a bank's debit alert, an MTN MoMo or Telecel Cash message — where
the transaction is one clause among balances, fees, taxes, dates and transaction ids:

    QLR45W5W0K Confirmed. Ksh2,528.00 sent to BRIAN OTIENO 0712345678 on 27/12/22 at
    9:25 PM. New M-PESA balance is Ksh585.26. Transaction cost, Ksh51.00.

Read whole, ``transaction cost`` makes every such line look like a fee, and ``tax charged``
like a tax. ``statement_text`` keeps the clause that says what happened (``sent to BRIAN
OTIENO 0712345678``, and a payer's ``Reference:`` — it may state a purpose) and drops the
rest; a bank alert's ``Desc:`` field is its narration. Ordinary statement lines (``POS
PURCHASE CLICKS 05/10 CARD 1234``) come back unchanged: their dates, card fragments and
references are dropped later, where each enricher reads words (``model.line_document``,
``memory.merchant_key``).

The stored row never changes: the original stays for display. The chain reads the
normalised text (``chain.chain_run``), and a correction is remembered under the key of the
same text (``memory.memory_record``), so both sides agree.

Fixed patterns written here, each linear (no nested quantifiers), over text whose length
ingestion bounds; a line pays for them only when it has a notification's words, which a
cheap substring test finds first (≈ 0.3 µs for an ordinary line).
"""

from __future__ import annotations

import re

# Words only notifications carry; a line without any of them is returned unchanged.
_HINTS = ("balance", "confirmed", "transaction cost", "txnid", "transaction id", "desc:")
_SHORTEST_NOTIFICATION = 40

# A bank alert's narration: ``Acct: … Amt: … DR Desc: <narration> Avail Bal: … Date: …``.
_DESC = re.compile(
    r"\bdesc(?:ription)?\s*:\s*(.*?)\s*(?:\bavail|\bbal(?:ance)?\b|\bdate\s*:|$)", re.I
)
# An M-Pesa-style receipt code and "Confirmed." opening the message.
_HEAD = re.compile(r"^\s*[a-z0-9]{8,20}\s+confirmed\b\.?\s*", re.I)
# A balance announced first (Tanzanian wallets): "New balance is Tsh 2,515."
_BALANCE_FIRST = re.compile(r"^\s*new balance is\s+[a-z]{3}\.?\s*[\d,]+(?:\.\d+)?\s*\.\s*", re.I)
# Where the transaction's own clause ends and the message's accounting begins.
_TAIL = re.compile(
    r"\.?\s*(?:new\s+)?(?:m-?pesa|m-?shwari|telecel cash|your new|your|current|available|"
    r"avail\.?)\s+(?:saving account\s+)?balance\b"
    r"|\bnew balance\b|\btransaction cost\b|\bfee (?:charged|was)\b|\btax (?:charged|was)\b"
    r"|\b(?:financial )?transaction id\b|\btxn ?id\b|\bcharges?\s+[a-z]{3}\b|\bfee:\s"
    r"|\btransaction fee\b|\byou were charged\b|\byour e-?levy\b",
    re.I,
)
_REFERENCE = re.compile(r"\breference\s*:\s*([^.]*)", re.I)
# Amounts with their currency, and "on 27/12/22 at 9:25 PM": what a message adds to a clause.
_AMOUNT = re.compile(
    r"\b(?:ksh|kes|ghs|ghc|ngn|tsh|tzs|ugx|rwf|zar|usd)\.?\s?[\d,]+(?:\.\d+)?", re.I
)
_WHEN = re.compile(
    r"\b(?:on\s+)?\d{1,2}/\d{1,2}/\d{2,4}(?:\s+at\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]m)?)?",
    re.I,
)


def statement_text(description: str | None) -> str | None:
    """Return the part of a description that says what the transaction was."""
    if not description or len(description) < _SHORTEST_NOTIFICATION:
        return description
    folded = description.casefold()
    if not any(hint in folded for hint in _HINTS):
        return description
    alert = _DESC.search(description)
    if alert and alert.group(1):
        return alert.group(1)
    text = _BALANCE_FIRST.sub("", _HEAD.sub("", description))
    reference = _REFERENCE.search(text)
    tail = _TAIL.search(text)
    cut = tail.start() if tail is not None and tail.start() > 0 else len(text)
    clause = _WHEN.sub(" ", _AMOUNT.sub(" ", text[:cut]))
    if reference is not None and reference.start() >= cut:
        clause = f"{clause} {reference.group(1)}"
    text = clause
    cleaned = " ".join(text.split()).strip(" .,")
    return cleaned or description
