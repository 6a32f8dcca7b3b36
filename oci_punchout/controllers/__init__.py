from . import cart
from . import catalog
from . import cxml
from . import oci
from . import portal
from . import simulator
from . import website_sale
from . import s4
