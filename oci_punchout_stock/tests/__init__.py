from . import test_ship_notice
from . import test_stock_confirmation
from . import test_stock_lead_time
from . import test_s4_delivery
