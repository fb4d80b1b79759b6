/*
 * pci_msix.c - MSI-X: interrupts as memory writes, one per table entry.
 *
 * The MSI-X capability (ID 0x11) says which BAR holds the table and where;
 * each 16-byte entry is a message address, data and a mask bit. On x86
 * the address 0xfee00000 | (APIC id << 12) and data = vector deliver a
 * fixed, edge-triggered interrupt to that CPU (Intel SDM 11.11). The
 * function-wide enable and mask bits live in the capability's control.
 */
#include "kernel/apic.h"
#include "kernel/pci.h"
#include "kernel/pci_msix.h"

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_ENABLE (1u << 15)
#define MSIX_FUNC_MASK (1u << 14)
#define ENTRY_VECTOR_CTRL 12
#define ENTRY_MASKED 1u

int msix_init(struct msix *m, const struct pci_func *f)
{
	uint32_t tbl;
	uint64_t bar;

	m->f = f;
	m->cap = pci_find_cap(f, PCI_CAP_ID_MSIX, 0);
	if (!m->cap)
		return -1;
	m->size = (pci_read16(f, m->cap + MSIX_CTRL) & 0x7ff) + 1;
	tbl = pci_read32(f, m->cap + MSIX_TABLE);
	m->bir = tbl & 7;
	if (m->bir > 5 || (uint64_t)(tbl & ~7u) + m->size * 16ull >
				  f->bar[m->bir].size)
		return -1;
	bar = pci_map_bar(f, m->bir);
	if (!bar)
		return -1;
	m->table = (volatile uint32_t *)(uintptr_t)(bar + (tbl & ~7u));
	return 0;
}

int msix_set(struct msix *m, unsigned entry, uint8_t vector)
{
	volatile uint32_t *e;

	if (!m->table || entry >= m->size)
		return -1;
	e = m->table + entry * 4;
	e[ENTRY_VECTOR_CTRL / 4] = ENTRY_MASKED; /* mask while rewriting */
	e[0] = 0xfee00000u | (apic_info.id << 12);
	e[1] = 0;
	e[2] = vector;
	e[ENTRY_VECTOR_CTRL / 4] = 0;
	return 0;
}

uint32_t msix_read_data(const struct msix *m, unsigned entry)
{
	return m->table && entry < m->size ? m->table[entry * 4 + 2] : ~0u;
}

void msix_enable(struct msix *m, bool on)
{
	uint16_t c = pci_read16(m->f, m->cap + MSIX_CTRL);

	c &= ~(MSIX_ENABLE | MSIX_FUNC_MASK);
	if (on)
		c |= MSIX_ENABLE;
	pci_write16(m->f, m->cap + MSIX_CTRL, c);
}

bool msix_enabled(const struct msix *m)
{
	return m->cap && (pci_read16(m->f, m->cap + MSIX_CTRL) & MSIX_ENABLE);
}
