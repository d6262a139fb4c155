"""The audit trail's jobs, run by the workers (`crocevia worker`), most of them periodic
(CROCEVIA_PERIODIC_JOBS; README, "The worker"):

- `seal_chain`: seal the events not sealed yet. Enqueued after a commit whose events the
  writer left (a large import, another process sealing, a page's access events on
  PostgreSQL: chain.request_sealing), and every minute as a safety net. Idempotent: it
  seals what is not sealed, from the head of the chain.
- `anchor_chain`: seal, then write the head to the witness file; `mail=True` (the day's
  anchor) also mails it to the DPO. Without a witness file only the mail is sent; without
  either, nothing (the job is then not scheduled at all).
- `verify_chain`: recompute the whole chain and check the witness. A broken chain is
  logged as an error and the job fails, so the jobs' admin shows it with its reason.

Running one again is harmless: anchoring twice writes the same head twice.
"""

import logging

from django.utils import translation
from django_tasks import task

from crocevia.jobs.queue import job_started

from . import anchoring, chain
from . import witness as witnesses

log = logging.getLogger(__name__)


@task()
def seal_chain() -> dict:
    job_started(chain.SEAL_FLAG)
    return {"sealed": chain.seal_pending()}


@task()
def anchor_chain(mail: bool = False) -> dict:
    path = witnesses.witness_path()
    if path is None and not (mail and witnesses.dpo_email()):
        log.info("audit anchor: no witness file (CROCEVIA_AUDIT_WITNESS) and no mail: skipped")
        return {"skipped": "no witness"}
    with translation.override("it"):
        done = anchoring.anchor(path=path, mail=mail)
    if done.head is None:
        return {"sealed": done.sealed, "head": None}
    return {
        "sealed": done.sealed,
        "head": f"{done.head.position}:{done.head.hash}",
        "witness": str(path) if path else None,
        "mailed_to": done.mailed_to or None,
    }


@task()
def verify_chain() -> dict:
    path = witnesses.witness_path()
    with translation.override("it"):
        result, witness = anchoring.verify(path=path)
        if not result.ok:
            message = anchoring.tampered_message(result, path)
            log.error("audit verify: %s", message)
            raise anchoring.TrailTampered(message)
    if result.stale_unsealed:
        log.warning(
            "audit verify: %d events waited more than %s to be sealed",
            result.stale_unsealed,
            chain.STALE_AFTER,
        )
    if path is None:
        log.warning("audit verify: no witness file (CROCEVIA_AUDIT_WITNESS) to check")
    return {
        "events": result.events,
        "head": f"{result.head_position}:{result.head_hash}",
        "sealed_now": result.sealed_now,
        "witness_heads_checked": result.witness_checked,
    }
