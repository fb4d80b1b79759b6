/*
 * test_runner_qemu.c - unit tests for how the runner starts QEMU
 * (host/runner/qemu.c, uefi.c): the command line built from a profile
 * for PVH and for UEFI boot, preparing the UEFI files, and spawning the
 * process. A wrong argument here means a different machine than the
 * profile says, so the command lines are compared word for word.
 */
#include "tests/unit/runner_rig.h"

#include <signal.h>

#include "host/runner/qemu.h"
#include "host/runner/uefi.h"

/* ---- QEMU command line and process --------------------------------------- */

static struct prof sample_prof(const char *text)
{
	struct prof p;
	char err[PROF_ERR_SIZE];

	UT_CHECK_EQ(prof_text(text, &p, err), 0);
	return p;
}

static void join_argv(const struct qemu_cmd *c, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < c->argc; i++)
		util_appendf(buf, size, "%s%s", i ? "|" : "", c->argv[i]);
}

/*
 * boot = uefi: no -kernel/-append (the command line goes to pinprick.cfg),
 * OVMF code read-only and the run's own variable store as pflash, and the
 * boot disk: the ESP directory through vvfat, or an image by its type,
 * opened so that the firmware cannot write to it.
 */
static void test_qemu_build_uefi(void)
{
	struct prof p =
		sample_prof("machine = q35\nmemory = 256M\nboot = uefi\n"
			    "append = scenario=all\n");
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "build/pinprick.elf",
				   .append = "verbose",
				   .qmp_sock = "/tmp/d/qmp.sock",
				   .esp_dir = "/tmp/d/esp",
				   .vars = "/tmp/d/OVMF_VARS.fd"};
	struct qemu_cmd c;
	char err[256], buf[4096], line[512];

	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|q35|-accel|tcg|-m|256M|-smp|1|"
		"-display|none|-nodefaults|-no-reboot|"
		"-drive|if=pflash,format=raw,readonly=on,file="
		"/usr/share/OVMF/OVMF_CODE_4M.fd|"
		"-drive|if=pflash,format=raw,file=/tmp/d/OVMF_VARS.fd|"
		"-drive|if=ide,format=raw,file=fat:rw:/tmp/d/esp|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off");
	qemu_cmd_free(&c);
	UT_CHECK_EQ(qemu_cmdline(&p, "verbose", line, sizeof(line), err,
				 sizeof(err)),
		    0);
	UT_CHECK_STR(line, "boot=uefi scenario=all verbose");

	paths.boot_image = "build/pinprick.iso";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf,
			"|-drive|if=ide,media=cdrom,readonly=on,format=raw,"
			"file=build/pinprick.iso|") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = "build/pinprick.vmdk";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "|if=ide,format=vmdk,snapshot=on,"
			     "file=build/pinprick.vmdk|") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = "build/pinprick-esp.img";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "|if=ide,format=raw,snapshot=on,"
			     "file=build/pinprick-esp.img|") != NULL);
	qemu_cmd_free(&c);

	/* a ',' would smuggle options into -drive */
	paths.boot_image = "x.img,file.driver=ssh";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "contains ','") != NULL);
	qemu_cmd_free(&c);
	paths.boot_image = NULL;
	paths.vars = NULL;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	qemu_cmd_free(&c);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* The run's ESP tree and variable store; all gone after uefi_remove. */
static void test_uefi_prepare(void)
{
	char dir[] = "/tmp/pinprick-ut-uefi.XXXXXX", src[PATH_MAX],
	     vars[PATH_MAX], err[512], buf[256];
	struct prof p =
		sample_prof("machine = q35\nmemory = 256M\nboot = uefi\n");
	struct uefi_files f;

	UT_CHECK(mkdtemp(dir) != NULL);
	snprintf(src, sizeof(src), "%s/app.efi", dir);
	snprintf(vars, sizeof(vars), "%s/vars.fd", dir);
	write_file(src, "MZ fake app");
	write_file(vars, "vars template");
	util_strlcpy(p.ovmf_vars, vars, sizeof(p.ovmf_vars));

	UT_CHECK_EQ(uefi_prepare(&p, src, "boot=uefi suite=platform", NULL, dir,
				 &f, err, sizeof(err)),
		    0);
	read_file(f.efi, buf, sizeof(buf));
	UT_CHECK_STR(buf, "MZ fake app");
	read_file(f.vars, buf, sizeof(buf));
	UT_CHECK_STR(buf, "vars template");
	read_file(f.cfg, buf, sizeof(buf));
	UT_CHECK(strstr(buf, "\nboot=uefi suite=platform\n") != NULL);
	UT_CHECK(buf[0] == '#');
	write_file(f.cfg, "changed by the guest"); /* vvfat may write */
	uefi_remove(&f);
	UT_CHECK(access(f.efi, F_OK) != 0 && access(f.vars, F_OK) != 0);
	UT_CHECK(access(f.esp_dir, F_OK) != 0);

	/* a missing EFI application is named, and nothing is left behind */
	UT_CHECK_EQ(uefi_prepare(&p, "/nonexistent/x.efi", "a", NULL, dir, &f,
				 err, sizeof(err)),
		    -1);
	UT_CHECK(strstr(err, "/nonexistent/x.efi") != NULL);
	uefi_remove(&f);
	/* --boot-image: only the variable store */
	UT_CHECK_EQ(
		uefi_prepare(&p, src, "a", "x.iso", dir, &f, err, sizeof(err)),
		0);
	UT_CHECK(f.esp_dir[0] == '\0' && access(f.vars, F_OK) == 0);
	uefi_remove(&f);
	util_strlcpy(p.ovmf_vars, "/nonexistent/VARS.fd", sizeof(p.ovmf_vars));
	UT_CHECK_EQ(uefi_prepare(&p, src, "a", NULL, dir, &f, err, sizeof(err)),
		    -1);
	UT_CHECK(strstr(err, "/nonexistent/VARS.fd") != NULL);
	uefi_remove(&f);
	unlink(src);
	unlink(vars);
	UT_CHECK_EQ(rmdir(dir), 0);
}

static void test_qemu_build(void)
{
	struct prof p = sample_prof(
		"machine = pc\nmemory = 128M\nappend = suite=all\n");
	struct qemu_paths paths = {.qemu = "qemu-system-x86_64",
				   .kernel = "build/pinprick.elf",
				   .append = "tap=13",
				   .com2_sock = "/tmp/d/com2.sock",
				   .qmp_sock = "/tmp/d/qmp.sock"};
	struct qemu_cmd c;
	char err[256], buf[4096];

	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|pc|-accel|tcg|-m|128M|-smp|1|"
		"-display|none|-nodefaults|-no-reboot|-kernel|build/"
		"pinprick.elf|"
		"-append|boot=pvh suite=all tap=13|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-serial|unix:/tmp/d/com2.sock,server=on,wait=off|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off");
	UT_CHECK(c.argv[c.argc] == NULL);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append 'boot=pvh suite=all tap=13' ") != NULL);
	qemu_cmd_free(&c);

	p = sample_prof(
		"machine = microvm\nmemory = 64M\nsmp = 2\ncpu = max\n"
		"com2 = no\nqemu_args = -device virtio-balloon-device  -s\n");
	paths.com2_sock = NULL;
	paths.append = NULL;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	join_argv(&c, buf, sizeof(buf));
	UT_CHECK_STR(
		buf,
		"qemu-system-x86_64|-M|microvm|-accel|tcg|-m|64M|-smp|2|"
		"-cpu|max|-display|none|-nodefaults|-no-reboot|"
		"-kernel|build/pinprick.elf|-append|boot=pvh|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=0x04|-serial|stdio|"
		"-qmp|unix:/tmp/d/qmp.sock,server=on,wait=off|"
		"-device|virtio-balloon-device|-s");
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append boot=pvh ") != NULL);
	qemu_cmd_free(&c);

	paths.append = "it's";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), 0);
	qemu_cmd_format(&c, buf, sizeof(buf));
	UT_CHECK(strstr(buf, " -append 'boot=pvh it'\\''s' ") != NULL);
	qemu_cmd_free(&c);

	paths.qmp_sock = "/tmp/with,comma/qmp.sock";
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "contains ','") != NULL);
	qemu_cmd_free(&c);
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = '\0';
	paths.qmp_sock = buf;
	UT_CHECK_EQ(qemu_build(&c, &p, &paths, err, sizeof(err)), -1);
	UT_CHECK(strstr(err, "too long") != NULL);
	qemu_cmd_free(&c);
}

static void test_qemu_spawn(void)
{
	struct qemu_cmd c = {
		.argc = 3,
		.argv = {"sh", "-c",
			 "printf 'to com1\\n'; echo to-stderr >&2; "
			 "read x; echo \"stdin=[$x]\"; exit 7",
			 NULL}};
	struct qemu_cmd bad = {.argc = 1, .argv = {"/nonexistent/qemu", NULL}};
	struct qemu_proc p;
	char err[256], buf[256];
	ssize_t n;
	size_t got = 0;

	UT_CHECK_EQ(qemu_spawn(&c, &p, err, sizeof(err)), 0);
	UT_CHECK(qemu_reap(&p, true));
	UT_CHECK(WIFEXITED(p.wstatus) && WEXITSTATUS(p.wstatus) == 7);
	while ((n = read(p.out_fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	UT_CHECK_STR(buf, "to com1\nstdin=[]\n");
	n = read(p.err_fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	UT_CHECK_STR(buf, "to-stderr\n");
	qemu_kill(&p, SIGKILL); /* reaped: must not signal anything */
	qemu_close(&p);

	UT_CHECK_EQ(qemu_spawn(&bad, &p, err, sizeof(err)), -1);
	UT_CHECK_STR(
		err,
		"cannot run '/nonexistent/qemu': No such file or directory");
	UT_CHECK_EQ(p.out_fd, -1);
}

UT_MAIN(UT_TEST(test_qemu_build), UT_TEST(test_qemu_build_uefi),
	UT_TEST(test_uefi_prepare), UT_TEST(test_qemu_spawn))
