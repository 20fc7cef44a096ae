/* xtml.h - the public API lives in ../include/xtml.h. This forwarder exists
 * for the Arduino library format, which puts only src/ on the include path. */
#include "../include/xtml.h"
