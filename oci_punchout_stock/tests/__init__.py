from . import test_ship_notice
from . import test_stock_confirmation
from . import test_stock_lead_time
