; pvh.asm - the PVH entry: from 32-bit protected mode to 64-bit C.
;
; A PVH loader (QEMU -kernel, Firecracker, Cloud Hypervisor) finds the Xen
; ELF note below, loads our PT_LOAD segments and jumps to pvh_start32 in
; 32-bit protected mode with paging off and EBX = physical address of the
; hvm_start_info structure. Nothing else is set up: no stack, no usable GDT
; or IDT. We load a GDT, zero .bss, build early page tables that identity
; map the first 4 GiB with 2 MiB pages, enable PAE + long mode + NX, and
; far-jump to 64-bit code which calls pvh_main(start_info). The C side
; later replaces these tables with exact ones (see kernel/paging.c).

%define XEN_ELFNOTE_PHYS32_ENTRY 18
%define STACK_SIZE (64 * 1024)

extern __bss_start, __bss_end
extern pvh_main, stack_chk_init
global pvh_start32, boot_stack_guard, boot_stack_top, boot_gdt
global boot_pml4, boot_pdpt, boot_pd	; uefi_entry.asm builds the same tables

section .note.Xen note alloc noexec nowrite align=4
	dd 4				; name size: "Xen\0"
	dd 4				; descriptor size
	dd XEN_ELFNOTE_PHYS32_ENTRY
	db "Xen", 0
	dd pvh_start32			; 32-bit physical entry

section .boot.text progbits alloc exec nowrite align=16
bits 32
pvh_start32:
	cli
	cld
	mov esi, ebx			; keep start_info across the setup

	lgdt [boot_gdt_ptr]
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax

	; .bss holds the page tables and the stack: it must start zeroed.
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb
	mov esp, boot_stack_top

	; Long mode is required; without it there is nothing we can do.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	bt edx, 29
	jnc .no_long_mode
	mov ebp, edx			; bit 20: NX available

	; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
	mov eax, boot_pdpt
	or eax, 0x3
	mov [boot_pml4], eax
	mov edi, boot_pdpt
	mov eax, boot_pd
	or eax, 0x3
	mov ecx, 4
.fill_pdpt:
	mov [edi], eax
	add eax, 4096
	add edi, 8
	loop .fill_pdpt
	mov edi, boot_pd
	mov eax, 0x83			; present, writable, 2 MiB page
	xor edx, edx
	mov ecx, 4 * 512
.fill_pd:
	mov [edi], eax
	mov [edi + 4], edx
	add eax, 0x200000
	adc edx, 0
	add edi, 8
	loop .fill_pd

	mov eax, cr4
	or eax, 1 << 5			; PAE
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, 0xC0000080		; EFER
	rdmsr
	or eax, 1 << 8			; LME
	bt ebp, 20
	jnc .no_nx
	or eax, 1 << 11			; NXE
.no_nx:
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)	; PG, WP (supervisor honours read-only)
	mov cr0, eax
	jmp 0x08:.long_mode

.no_long_mode:
	mov esi, no_lm_msg
.print:
	mov dx, 0x3FD			; COM1 line status: wait for room
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	lodsb
	test al, al
	jz .halt
	mov dx, 0x3F8
	out dx, al
	jmp .print
.halt:
	hlt
	jmp .halt

bits 64
.long_mode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp			; terminates backtraces
	; The stack protector's guard before any other C: a protected
	; function live across the change would see its canary differ
	; (kernel/stack_chk.c). ESI is not preserved by a call; R12 is.
	mov r12d, esi
	call stack_chk_init
	mov edi, r12d			; pvh_main(start_info physical address)
	call pvh_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
no_lm_msg: db "Bail out! pinprick needs a 64-bit (long mode) CPU", 10, 0

align 16
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF		; 0x08: 64-bit code
	dq 0x00CF92000000FFFF		; 0x10: data
	dq 0x00CF9A000000FFFF		; 0x18: 32-bit code
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

section .bss.pagetables nobits alloc noexec write align=4096
boot_pml4:	resb 4096
boot_pdpt:	resb 4096
boot_pd:	resb 4 * 4096

section .bss.stack nobits alloc noexec write align=4096
boot_stack_guard: resb 4096		; never mapped: overflow faults here
boot_stack:	resb STACK_SIZE
boot_stack_top:
