from . import test_ship_notice
from . import test_stock_confirmation
