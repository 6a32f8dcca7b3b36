from . import sale_order_cancel
