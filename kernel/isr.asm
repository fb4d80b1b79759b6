; isr.asm - interrupt entry stubs and the fault-recovery jump.
;
; Every vector gets a stub that makes the stack look the same (a dummy
; error code where the CPU pushes none, then the vector number), saves all
; general registers into a struct trap_frame and calls trap_dispatch().
;
; trap_try/trap_resume are a setjmp/longjmp pair for faults: a test arms a
; struct trap_catch, does something that may fault, and if it does the
; dispatcher rewrites the interrupted frame so that iretq lands in
; trap_resume, which returns 1 from the original trap_try call.

bits 64
section .text

extern trap_dispatch, trap_catch_top
global isr_stub_table, trap_try, trap_resume

%macro ISR 1
isr_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
	push 0				; no CPU error code: keep the layout
%endif
	push %1
	jmp isr_common
%endmacro

%assign i 0
%rep 256
	ISR i
%assign i i + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp			; struct trap_frame *
	call trap_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector and error code
	iretq

; struct trap_catch: rbx 0, rbp 8, r12 16, r13 24, r14 32, r15 40,
; rsp 48, rip 56, prev 64 (see kernel/trap.h).

; int trap_try(struct trap_catch *c): arm c (push it on the catch stack)
; and return 0; returns 1 a second time if a caught fault happens.
trap_try:
	mov [rdi + 0], rbx
	mov [rdi + 8], rbp
	mov [rdi + 16], r12
	mov [rdi + 24], r13
	mov [rdi + 32], r14
	mov [rdi + 40], r15
	lea rax, [rsp + 8]		; caller's rsp after our return
	mov [rdi + 48], rax
	mov rax, [rsp]			; return address
	mov [rdi + 56], rax
	mov rax, [rel trap_catch_top]
	mov [rdi + 64], rax
	mov [rel trap_catch_top], rdi
	xor eax, eax
	ret

; trap_resume(struct trap_catch *c): entered by iretq after a caught fault.
trap_resume:
	mov rbx, [rdi + 0]
	mov rbp, [rdi + 8]
	mov r12, [rdi + 16]
	mov r13, [rdi + 24]
	mov r14, [rdi + 32]
	mov r15, [rdi + 40]
	mov rsp, [rdi + 48]
	mov eax, 1
	jmp [rdi + 56]

section .rodata
align 8
isr_stub_table:
%assign i 0
%rep 256
	dq isr_%+i
%assign i i + 1
%endrep
