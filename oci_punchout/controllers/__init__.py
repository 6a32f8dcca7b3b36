from . import cart
from . import oci
from . import simulator
from . import website_sale
