from . import test_oci_cart
from . import test_oci_punch_in
