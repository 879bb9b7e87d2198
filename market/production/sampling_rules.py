"""A QC step's sampling plan (ISO 2859-1, production.sampling) applied to an inspection: the
plan for the lot, and the result it dictates for the nonconforming items found."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from market import errors
from market.production import sampling


def judged(lot_quantity: int, data: dict) -> dict | None:
    """{"result", "sampling"} for an inspection that names a plan (`data["sampling"]`:
    aql, nonconforming, optional lot_size), else None. A result given beside the plan must be
    the plan's: at Re or more nonconforming the lot fails."""
    given = data.get("sampling")
    if not given:
        return None
    aql = sampling.normalize_aql(given["aql"])
    if aql is None:
        raise errors.refusal(errors.Invalid, _l("AQL is one of %(aqls)s", aqls=", ".join(sampling.AQLS)),
                             field="sampling.aql")
    lot_size = given.get("lot_size") or lot_quantity
    if lot_size < 2:
        raise errors.refusal(errors.Invalid, _l("sampling needs a lot of at least 2 items"), field="sampling.lot_size")
    plan = sampling.plan(lot_size, aql)
    found = given["nonconforming"]
    if found > plan.sample_size:
        raise errors.refusal(errors.Invalid, _l("the sample holds %(n)s items; %(found)s cannot be nonconforming",
                                                 n=plan.sample_size, found=found), field="sampling.nonconforming")
    result = plan.judge(found)
    if data.get("result") not in (None, result):
        raise errors.refusal(errors.Invalid, _l("%(found)s nonconforming in %(n)s with Ac %(ac)s, Re %(re)s: the plan "
                                                 "says %(result)s", found=found, n=plan.sample_size, ac=plan.ac,
                                                 re=plan.re, result=result), field="result")
    return {"result": result, "sampling": {**plan.to_dict(), "nonconforming": found}}
