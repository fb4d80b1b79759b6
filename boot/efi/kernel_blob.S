/*
 * kernel_blob.S - the kernel ELF, carried inside the EFI application.
 *
 * One file on the ESP (BOOTX64.EFI) is all a firmware needs to find, and
 * loader and kernel can never come from different builds. KERNEL_ELF is
 * the path of build/pinprick.elf, given by the Makefile.
 */
	.section .rodata.kernel_image, "a"
	.balign 4096
	.globl ldr_kernel_image, ldr_kernel_image_end
ldr_kernel_image:
	.incbin KERNEL_ELF
ldr_kernel_image_end:
	.section .note.GNU-stack, "", @progbits
