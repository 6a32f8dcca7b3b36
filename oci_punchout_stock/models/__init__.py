from . import product_product
from . import punchout_connection
from . import punchout_message
from . import sale_order_line
from . import stock_picking
