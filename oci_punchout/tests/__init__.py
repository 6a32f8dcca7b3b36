from . import test_connection
from . import test_cxml
from . import test_oci_cart
from . import test_oci_punch_in
from . import test_security
from . import test_simulator
from . import test_ui
