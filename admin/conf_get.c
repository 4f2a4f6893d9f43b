/* (To be written.) */
#include "conf_int.h"
