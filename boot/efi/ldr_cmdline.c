/*
 * ldr_cmdline.c - the kernel command line on the UEFI path.
 *
 * PVH loaders hand over one ASCII string. Under UEFI there are two
 * sources, both used when present: pinprick.cfg, a text file beside the
 * EFI application (what `make images` and the runner write, and what an
 * operator edits on a VMware disk), then the image's LoadOptions (what a
 * UEFI Shell command line or a boot entry made with efibootmgr passes),
 * which therefore come later and win where an option repeats. Both are
 * untrusted bytes: anything that is not plain printable text is refused
 * whole with a reason, rather than passed on half-understood.
 */
#include "boot/efi/ldr.h"

static bool blank(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends one word, space separated; false (and *truncated) if full. */
static bool put_word(char *out, size_t out_size, const char *w, size_t n,
		     bool *truncated)
{
	size_t len = 0;

	if (*truncated) /* a word was left out: the rest must be too */
		return false;
	while (out[len])
		len++;
	if (len + (len ? 1 : 0) + n + 1 > out_size) {
		*truncated = true;
		return false;
	}
	if (len)
		out[len++] = ' ';
	for (size_t i = 0; i < n; i++)
		out[len + i] = w[i];
	out[len + n] = '\0';
	return true;
}

/* Appends the words of text[0..n), which holds only printable ASCII. */
static void put_words(char *out, size_t out_size, const char *text, size_t n,
		      bool *truncated)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && blank((unsigned char)text[i]))
			i++;
		start = i;
		while (i < n && !blank((unsigned char)text[i]))
			i++;
		if (i > start && !put_word(out, out_size, text + start,
					   i - start, truncated))
			return;
	}
}

int ldr_cfg_append(char *out, size_t out_size, const char *cfg, size_t len,
		   bool *truncated, const char **why)
{
	size_t i = 0;

	for (size_t j = 0; j < len; j++) {
		unsigned char c = (unsigned char)cfg[j];

		if (!(c >= 0x20 && c < 0x7f) && !blank(c)) {
			*why = "pinprick.cfg has bytes that are not printable "
			       "ASCII; ignored";
			return -1;
		}
	}
	while (i < len) {
		size_t start = i, end;

		while (i < len && cfg[i] != '\n')
			i++;
		end = i++;
		while (start < end && blank((unsigned char)cfg[start]))
			start++;
		if (start < end && cfg[start] != '#')
			put_words(out, out_size, cfg + start, end - start,
				  truncated);
	}
	return 0;
}

static bool ends_with_efi(const char *w, size_t n)
{
	static const char ext[] = ".efi";

	if (n < 5)
		return false;
	for (size_t i = 0; i < 4; i++) {
		char c = w[n - 4 + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != ext[i])
			return false;
	}
	return true;
}

int ldr_loadopt_append(char *out, size_t out_size, const void *opts,
		       size_t bytes, bool *truncated, const char **why)
{
	const uint8_t *p = opts;
	char text[BI_CMDLINE_MAX];
	size_t n = 0, first = 0, k = 0;
	bool cut = false;

	if (bytes == 0)
		return 0;
	if (!p || bytes % 2) {
		*why = "LoadOptions are not UCS-2 text (odd length); ignored";
		return -1;
	}
	for (size_t i = 0; i + 1 < bytes; i += 2) {
		unsigned c = p[i] | (unsigned)p[i + 1] << 8;

		if (c == 0)
			break;
		if (!(c >= 0x20 && c < 0x7f) && !blank(c)) {
			*why = "LoadOptions are not printable ASCII text; "
			       "ignored";
			return -1;
		}
		if (n == sizeof(text) - 1) {
			/* Cut inside a word: that word is left out whole. */
			while (!blank(c) && n &&
			       !blank((unsigned char)text[n - 1]))
				n--;
			cut = true;
			break;
		}
		text[n++] = (char)c;
	}
	/* The UEFI Shell passes its whole command line, image name first. */
	while (k < n && blank((unsigned char)text[k]))
		k++;
	first = k;
	while (k < n && !blank((unsigned char)text[k]))
		k++;
	if (ends_with_efi(text + first, k - first)) {
		bool has_eq = false;

		for (size_t i = first; i < k; i++)
			has_eq |= text[i] == '=';
		if (!has_eq)
			first = k;
	}
	put_words(out, out_size, text + first, n - first, truncated);
	*truncated |= cut;
	return 0;
}

bool ldr_has_word(const char *s, const char *word)
{
	while (*s) {
		size_t n = 0;

		while (*s == ' ')
			s++;
		while (s[n] && s[n] != ' ')
			n++;
		if (n) {
			size_t i = 0;

			while (i < n && word[i] && s[i] == word[i])
				i++;
			if (i == n && !word[i])
				return true;
		}
		s += n;
	}
	return false;
}
