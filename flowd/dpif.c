/* The registry of datapath providers. */
#include "flowd/dpif.h"

#include <string.h>

static const struct dpif_class *const dpif_classes[] = { &dpif_netdev_class };

const struct dpif_class *dpif_class_find(const char *type)
{
    if (!type[0])
        type = "netdev";
    for (size_t i = 0; i < sizeof dpif_classes / sizeof dpif_classes[0]; i++) {
        if (!strcmp(dpif_classes[i]->type, type))
            return dpif_classes[i];
    }
    return NULL;
}

const char *dpif_class_list(void)
{
    return "netdev";
}
