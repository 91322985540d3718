/* placeholder until the libocispec work lands */
#include "oci_spec.h"
