/*
 * elf_sym.c - symbol lookup in an ELF64 image (see elf_sym.h). Headers are
 * copied out with memcpy (a corrupt file may put them at odd offsets) and
 * every range is checked with overflow-safe arithmetic before it is read:
 * a broken or hostile file gives an error message, never a wild read.
 */
#include "host/runner/elf_sym.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is [off, off + n * size) inside the image? */
static bool elfs_range(size_t len, uint64_t off, uint64_t n, uint64_t size)
{
	if (off > len || (size && n > (len - off) / size))
		return false;
	return true;
}

static int elfs_shdr(const uint8_t *img, size_t len, const Elf64_Ehdr *eh,
		     uint64_t shnum, uint64_t i, Elf64_Shdr *sh)
{
	if (i >= shnum ||
	    !elfs_range(len, eh->e_shoff + i * sizeof(*sh), 1, sizeof(*sh)))
		return -1;
	memcpy(sh, img + eh->e_shoff + i * sizeof(*sh), sizeof(*sh));
	return 0;
}

static int elfs_header(const uint8_t *img, size_t len, Elf64_Ehdr *eh,
		       uint64_t *shnum, char *err, size_t err_size)
{
	Elf64_Shdr sh0;

	if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG)) {
		snprintf(err, err_size, "not an ELF file");
		return -1;
	}
	memcpy(eh, img, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, err_size, "not a little-endian ELF64 file");
		return -1;
	}
	*shnum = eh->e_shnum;
	if (eh->e_shoff && eh->e_shentsize != sizeof(Elf64_Shdr)) {
		snprintf(err, err_size, "unexpected section header size %u",
			 eh->e_shentsize);
		return -1;
	}
	/* Extended numbering: the count lives in section 0's sh_size. */
	if (eh->e_shoff && !*shnum) {
		if (elfs_shdr(img, len, eh, 1, 0, &sh0)) {
			snprintf(err, err_size,
				 "section headers outside the file");
			return -1;
		}
		*shnum = sh0.sh_size;
	}
	if (!eh->e_shoff || !*shnum ||
	    !elfs_range(len, eh->e_shoff, *shnum, sizeof(Elf64_Shdr))) {
		snprintf(err, err_size, "no section headers in the file");
		return -1;
	}
	return 0;
}

struct elfs_hit {
	bool found, global;
	uint64_t addr;
	bool conflict;
};

/* Scans one symbol table for name. 0, or -1 if the table is corrupt. */
static int elfs_scan(const uint8_t *img, size_t len, const Elf64_Shdr *sym,
		     const Elf64_Shdr *str, const char *name,
		     struct elfs_hit *hit)
{
	size_t nlen = strlen(name);
	uint64_t count;

	if (sym->sh_entsize != sizeof(Elf64_Sym) ||
	    str->sh_type != SHT_STRTAB ||
	    !elfs_range(len, sym->sh_offset, 1, sym->sh_size) ||
	    !elfs_range(len, str->sh_offset, 1, str->sh_size))
		return -1;
	count = sym->sh_size / sizeof(Elf64_Sym);
	for (uint64_t i = 1; i < count; i++) {
		const char *s;
		Elf64_Sym st;
		bool global;

		memcpy(&st, img + sym->sh_offset + i * sizeof(st), sizeof(st));
		if (st.st_name >= str->sh_size ||
		    str->sh_size - st.st_name < nlen + 1)
			continue; /* cannot hold name and its NUL */
		s = (const char *)img + str->sh_offset + st.st_name;
		if (memcmp(s, name, nlen) || s[nlen] ||
		    st.st_shndx == SHN_UNDEF)
			continue;
		global = ELF64_ST_BIND(st.st_info) != STB_LOCAL;
		if (hit->found && hit->global && global &&
		    hit->addr != st.st_value)
			hit->conflict = true;
		if (!hit->found || (global && !hit->global)) {
			hit->found = true;
			hit->global = global;
			hit->addr = st.st_value;
		}
	}
	return 0;
}

int elfs_lookup(const void *image, size_t len, const char *name, uint64_t *addr,
		char *err, size_t err_size)
{
	const uint8_t *img = image;
	struct elfs_hit hit = {0};
	bool have_symtab = false;
	uint64_t shnum;
	Elf64_Ehdr eh;

	if (elfs_header(img, len, &eh, &shnum, err, err_size))
		return -1;
	for (uint64_t i = 0; i < shnum; i++) {
		Elf64_Shdr sym, str;

		if (elfs_shdr(img, len, &eh, shnum, i, &sym))
			break;
		if (sym.sh_type != SHT_SYMTAB)
			continue;
		have_symtab = true;
		if (elfs_shdr(img, len, &eh, shnum, sym.sh_link, &str) ||
		    elfs_scan(img, len, &sym, &str, name, &hit)) {
			snprintf(err, err_size,
				 "corrupt symbol table (section %llu)",
				 (unsigned long long)i);
			return -1;
		}
	}
	if (!have_symtab) {
		snprintf(err, err_size, "no symbol table (stripped?)");
		return -1;
	}
	if (hit.conflict) {
		snprintf(err, err_size, "symbol '%s' is defined twice", name);
		return -1;
	}
	if (!hit.found) {
		snprintf(err, err_size, "no symbol '%s'", name);
		return -1;
	}
	*addr = hit.addr;
	return 0;
}

int elfs_lookup_file(const char *path, const char *name, uint64_t *addr,
		     char *err, size_t err_size)
{
	char why[160];
	struct stat sb;
	uint8_t *img;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > ELFS_FILE_MAX) {
		snprintf(err, err_size,
			 "%s: not a regular file of at most %u "
			 "bytes",
			 path, ELFS_FILE_MAX);
		close(fd);
		return -1;
	}
	img = malloc((size_t)sb.st_size + 1);
	if (!img) {
		close(fd);
		snprintf(err, err_size, "%s: out of memory", path);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, img + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	rc = elfs_lookup(img, got, name, addr, why, sizeof(why));
	free(img);
	if (rc)
		snprintf(err, err_size, "%s: %s", path, why);
	return rc;
}
