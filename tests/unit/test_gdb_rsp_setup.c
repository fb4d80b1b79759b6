/*
 * test_gdb_rsp_setup.c - unit tests for what the runner sets up before a
 * guest with the VMware balloon model boots.
 *
 * The bridge needs the address of the guest's backdoor `inl`, found by
 * name in the kernel ELF (elf_sym.c, here on hand-made and corrupted
 * images that must be refused, not trusted); the profile keys that turn
 * the model on and shape it; and QEMU started with a gdbstub on a unix
 * socket, halted until the bridge attaches.
 */
#include "tests/unit/ut.h"

#include <elf.h>
#include <unistd.h>

#include "host/runner/elf_sym.h"
#include "host/runner/profile.h"
#include "host/runner/qemu.h"
#include "host/runner/vmw_bridge.h"

/* ---- ELF symbol lookup --------------------------------------------------- */

#define SYM "vmw_balloon_bdoor"

struct img {
	Elf64_Ehdr eh;
	Elf64_Shdr sh[3]; /* null, .symtab, .strtab */
	Elf64_Sym sym[5];
	char str[64];
};

static void img_build(struct img *m)
{
	static const char strtab[] = "\0" SYM "\0other\0undef";

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_shoff = offsetof(struct img, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 3;
	m->sh[1] = (Elf64_Shdr){.sh_type = SHT_SYMTAB,
				.sh_offset = offsetof(struct img, sym),
				.sh_size = sizeof(m->sym),
				.sh_link = 2,
				.sh_entsize = sizeof(Elf64_Sym)};
	m->sh[2] = (Elf64_Shdr){.sh_type = SHT_STRTAB,
				.sh_offset = offsetof(struct img, str),
				.sh_size = sizeof(strtab)};
	memcpy(m->str, strtab, sizeof(strtab));
	/* a local and a global SYM: the global wins */
	m->sym[1] =
		(Elf64_Sym){.st_name = 1, .st_shndx = 1, .st_value = 0x1000};
	m->sym[2] = (Elf64_Sym){.st_name = 1,
				.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				.st_shndx = 1,
				.st_value = 0x10707b};
	m->sym[3] = (Elf64_Sym){.st_name = 19, .st_shndx = 1, .st_value = 0x30};
	m->sym[4] = (Elf64_Sym){.st_name = 25, .st_shndx = SHN_UNDEF};
}

static int look(const struct img *m, size_t len, const char *name, uint64_t *a,
		char *err)
{
	return elfs_lookup(m, len, name, a, err, 128);
}

static void test_elf(void)
{
	static struct img m;
	char err[128], path[] = "/tmp/pp-elf-XXXXXX";
	uint64_t a = 0;
	int fd;

	img_build(&m);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), 0);
	UT_CHECK(a == 0x10707b);
	UT_CHECK_EQ(look(&m, sizeof(m), "other", &a, err), 0);
	UT_CHECK(a == 0x30);
	UT_CHECK_EQ(look(&m, sizeof(m), "undef", &a, err), -1);
	UT_CHECK_EQ(look(&m, sizeof(m), "vmw_balloon", &a, err), -1);
	UT_CHECK_STR(err, "no symbol 'vmw_balloon'");
	/* truncated anywhere: an error, never a read past the end */
	for (size_t len = 0; len < m.sh[2].sh_offset + m.sh[2].sh_size; len++)
		UT_CHECK_EQ(look(&m, len, SYM, &a, err), -1);
	UT_CHECK_EQ(look(&m, 10, SYM, &a, err), -1);
	UT_CHECK_STR(err, "not an ELF file");
	/* the name at the end of a strtab without its NUL */
	m.sh[2].sh_size = 1 + strlen(SYM);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.sh[1].sh_link = 7;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK(strstr(err, "corrupt symbol table") != NULL);
	img_build(&m);
	m.sh[1].sh_offset = ~0ull - 8;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_shoff = ~0ull - 100;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_shentsize = 40;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.eh.e_ident[EI_CLASS] = ELFCLASS32;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	img_build(&m);
	m.sh[1].sh_type = SHT_PROGBITS;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK_STR(err, "no symbol table (stripped?)");
	img_build(&m);
	m.sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), -1);
	UT_CHECK(strstr(err, "defined twice") != NULL);
	/* extended section numbering */
	img_build(&m);
	m.eh.e_shnum = 0;
	m.sh[0].sh_size = 3;
	UT_CHECK_EQ(look(&m, sizeof(m), SYM, &a, err), 0);
	/* random damage: whatever it says, it must not crash (ASan) */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		img_build(&m);
		for (int k = 0; k < 1 + i % 4; k++)
			((uint8_t *)&m)[rand() % (int)sizeof(m)] =
				(uint8_t)rand();
		look(&m, sizeof(m) - (size_t)(i % 3) * 7, SYM, &a, err);
	}
	/* from a file */
	img_build(&m);
	fd = mkstemp(path);
	UT_CHECK(fd >= 0 && write(fd, &m, sizeof(m)) == (ssize_t)sizeof(m));
	close(fd);
	UT_CHECK_EQ(elfs_lookup_file(path, SYM, &a, err, sizeof(err)), 0);
	UT_CHECK(a == 0x10707b);
	unlink(path);
	UT_CHECK_EQ(elfs_lookup_file(path, SYM, &a, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "No such file") != NULL);
	UT_CHECK_EQ(elfs_lookup_file("/tmp", SYM, &a, err, sizeof(err)), -1);
}

static int prof(const char *text, struct prof *p, char *err)
{
	return prof_parse(text, strlen(text), "t.conf", p, err, PROF_ERR_SIZE);
}

static void test_profile_keys(void)
{
	static struct prof p;
	char err[PROF_ERR_SIZE];
	uint64_t frames, end;

	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\n", &p, err), 0);
	UT_CHECK(!p.vmware && p.vmware_max_percent == 65 &&
		 p.vmware_maxmemctl_mb == -1 && p.vmware_caps == 0x2e);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\nvmware = model\n"
			 "vmware_faults = seed=7,reset_every=97\n"
			 "vmware_max_percent = 50\nvmware_maxmemctl_mb = 16\n"
			 "vmware_caps = 0x06\n",
			 &p, err),
		    0);
	UT_CHECK(p.vmware && p.vmw_faults.seed == 7 &&
		 p.vmw_faults.reset_every == 97);
	UT_CHECK(p.vmware_max_percent == 50 && p.vmware_maxmemctl_mb == 16 &&
		 p.vmware_caps == 6);
	UT_CHECK(prof_memory_bytes(p.memory) == 128ull << 20);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_faults = seed=7,colour=red\n",
			 &p, err),
		    -1);
	UT_CHECK(!strncmp(err, "t.conf:4: unknown fault 'colour'", 32));
	UT_CHECK_EQ(
		prof("machine = pc\nmemory = 1M\nvmware_caps = 2\n", &p, err),
		-1);
	UT_CHECK_STR(err, "t.conf:3: 'vmware_caps' needs 'vmware = model'");
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = yes\n", &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_caps = 0x40\n",
			 &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_maxmemctl_mb = -2\n",
			 &p, err),
		    -1);
	UT_CHECK_EQ(prof("machine = pc\nmemory = 1M\nvmware = model\n"
			 "vmware_max_percent = 101\n",
			 &p, err),
		    -1);
	vmwb_ram_layout(128ull << 20, &frames, &end);
	UT_CHECK(frames == 32768 && end == 32768);
	vmwb_ram_layout(4ull << 30, &frames, &end);
	UT_CHECK(frames == 1ull << 20 && end == (6ull << 30) >> 12);
}

static void test_qemu_gdb_args(void)
{
	static struct prof p;
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "k.elf",
				   .qmp_sock = "/tmp/d/qmp.sock",
				   .gdb_sock = "/tmp/d/gdb.sock"};
	struct qemu_cmd c;
	char err[256], buf[4096];

	UT_CHECK_EQ(prof("machine = pc\nmemory = 128M\nvmware = model\n"
			 "qemu_args = -machine vmport=on\n",
			 &p, err),
		    0);
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -qmp unix:/tmp/d/qmp.sock,server=on,wait=off "
			     "-gdb unix:/tmp/d/gdb.sock,server=on,wait=off -S "
			     "-machine vmport=on") != NULL);
	qemu_cmd_free(&c);
	paths.gdb_sock = "/tmp/a,b/gdb.sock";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	qemu_cmd_free(&c);
}

UT_MAIN(UT_TEST(test_elf), UT_TEST(test_profile_keys),
	UT_TEST(test_qemu_gdb_args))
