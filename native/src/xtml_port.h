/* xtml_port.h - the port hooks live in ../include/xtml_port.h. This forwarder
 * exists for the Arduino library format, which puts only src/ on the include
 * path. */
#include "../include/xtml_port.h"
