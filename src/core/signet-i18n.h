#pragma once

#include "config.h"
#include <glib/gi18n-lib.h>
