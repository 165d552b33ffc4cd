/* inv_guest.h - the inventory's source over a mounted appliance */
#ifndef EXTRACT_INV_GUEST_H
#define EXTRACT_INV_GUEST_H

#include "guest.h"
#include "inventory.h"

/* A source reading GU (opened and mounted; it must outlive the source).
 * NULL when out of memory. Free with inv_guest_source_free. */
struct inv_source *inv_guest_source(struct guest *gu);
void inv_guest_source_free(struct inv_source *s);

#endif
