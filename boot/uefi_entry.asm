; uefi_entry.asm - the kernel's second door: 64-bit entry from our UEFI loader.
;
; boot/efi/ (a GNU-EFI application) carries this very ELF inside it, copies
; its PT_LOAD segments to their physical addresses, exits boot services and
; jumps here in 64-bit mode. It finds this entry through the ELF note below
; (owner "pinprick", type 1, an 8-byte address), just as a PVH loader finds
; pvh_start32 through the Xen note. One kernel image, two boot paths.
;
; At entry (SysV ABI call from the loader): RDI = the loader's filled
; struct boot_info, RSI = UEFI_HANDOFF_MAGIC, RDX = sizeof(struct boot_info)
; as the loader knew it. We are still on the firmware's page tables, GDT,
; IDT and stack, all of which live in memory that is free now that boot
; services are gone, and which the kernel's allocator is about to hand out.
; So before any C runs: our GDT, .bss zeroed, the same early page tables as
; the PVH path (first 4 GiB identity mapped), our stack. uefi_main (uefi.c)
; then copies the boot_info into the kernel and enters kernel_main.

%define PINPRICK_NOTE_UEFI_ENTRY64 1

extern __bss_start, __bss_end
extern boot_gdt, boot_stack_top, boot_pml4, boot_pdpt, boot_pd
extern uefi_main, stack_chk_init
global uefi_start64

section .note.pinprick note alloc noexec nowrite align=4
	dd 9				; name size: "pinprick\0"
	dd 8				; descriptor size
	dd PINPRICK_NOTE_UEFI_ENTRY64
	db "pinprick", 0, 0, 0, 0	; name padded to 4 bytes
	dq uefi_start64			; 64-bit physical (= virtual) entry

section .boot.text progbits alloc exec nowrite align=16
bits 64
uefi_start64:
	cli
	cld
	mov r12, rdi			; keep the three arguments in registers
	mov r13, rsi			; that neither rep stosb nor cpuid touch
	mov r14, rdx

	lgdt [rel boot_gdt_ptr64]
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	lea rax, [rel .reload_cs]
	push 0x08
	push rax
	retfq				; CS = our 64-bit code selector
.reload_cs:
	; .bss holds the early page tables and the stack: it must start zeroed.
	; (The handoff boot_info is in the loader's memory, not in .bss.)
	mov rdi, __bss_start
	mov rcx, __bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb

	; The same tables as pvh.asm: PML4[0] -> PDPT -> four page directories
	; of 2 MiB pages covering 4 GiB. The firmware's own tables are in boot
	; services memory, which mm_init will treat as free RAM.
	mov rax, boot_pdpt
	or rax, 0x3
	mov [boot_pml4], rax
	mov rdi, boot_pdpt
	mov rax, boot_pd
	or rax, 0x3
	mov ecx, 4
.fill_pdpt:
	mov [rdi], rax
	add rax, 4096
	add rdi, 8
	loop .fill_pdpt
	mov rdi, boot_pd
	mov rax, 0x83			; present, writable, 2 MiB page
	mov ecx, 4 * 512
.fill_pd:
	mov [rdi], rax
	add rax, 0x200000
	add rdi, 8
	loop .fill_pd

	; NX if the CPU has it (the firmware may or may not have enabled it).
	mov eax, 0x80000001
	cpuid
	bt edx, 20
	jnc .no_nx
	mov ecx, 0xC0000080		; EFER
	rdmsr
	or eax, 1 << 11			; NXE
	wrmsr
.no_nx:
	; CR4 exactly as on the PVH path (PAE only); dropping PGE also flushes
	; any global TLB entries the firmware left.
	mov eax, 1 << 5
	mov cr4, rax
	mov rax, boot_pml4
	mov cr3, rax
	mov rax, cr0
	or eax, 1 << 16			; WP: supervisor honours read-only
	mov cr0, rax

	mov rsp, boot_stack_top
	xor ebp, ebp			; terminates backtraces
	; The stack protector's guard before any other C, as in pvh.asm;
	; R12-R14 survive the call (callee-saved).
	call stack_chk_init
	mov rdi, r12
	mov rsi, r13
	mov rdx, r14
	call uefi_main
.hang:
	cli
	hlt
	jmp .hang

section .rodata
align 16
boot_gdt_ptr64:
	dw 4 * 8 - 1			; the four descriptors of boot_gdt (pvh.asm)
	dq boot_gdt
