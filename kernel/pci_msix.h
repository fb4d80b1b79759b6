/*
 * pci_msix.h - program and enable a function's MSI-X table.
 */
#ifndef PINPRICK_PCI_MSIX_H
#define PINPRICK_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/pci.h"

struct msix {
	const struct pci_func *f;
	unsigned cap, size, bir;
	volatile uint32_t *table;
};

/* Find and map the table; -1 if the function has no usable MSI-X. */
int msix_init(struct msix *m, const struct pci_func *f);
/* Point entry at vector on this CPU (fixed, edge) and unmask it. */
int msix_set(struct msix *m, unsigned entry, uint8_t vector);
uint32_t msix_read_data(const struct msix *m, unsigned entry);
void msix_enable(struct msix *m, bool on);
bool msix_enabled(const struct msix *m);

#endif
