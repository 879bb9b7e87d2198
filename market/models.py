"""Imports every mapped model so the metadata is complete (Alembic, tests)."""
from market.accounts.models import *  # noqa: F401,F403
from market.audit.models import *  # noqa: F401,F403
from market.bidding.models import *  # noqa: F401,F403
from market.catalog.models import *  # noqa: F401,F403
from market.catalog.quality import SupplierQuality  # noqa: F401
from market.credit.models import *  # noqa: F401,F403
from market.credit.rating_models import *  # noqa: F401,F403
from market.bus import OutboxMessage  # noqa: F401
from market.db import Base
from market.leasing.models import Lease, RentInvoice  # noqa: F401
from market.insurance.models import Claim, Policy, PremiumInvoice  # noqa: F401
from market.mail.models import *  # noqa: F401,F403
from market.matching.models import *  # noqa: F401,F403
from market.notifications.models import *  # noqa: F401,F403
from market.notifications.webhook_models import *  # noqa: F401,F403
from market.orders.models import *  # noqa: F401,F403
from market.production.models import *  # noqa: F401,F403
from market.production.material_models import *  # noqa: F401,F403
from market.telemetry.models import *  # noqa: F401,F403
from market.payments.models import *  # noqa: F401,F403
from market.subcontracting.models import *  # noqa: F401,F403
from market.web.models import *  # noqa: F401,F403

metadata = Base.metadata
