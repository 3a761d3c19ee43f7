/* SPDX-License-Identifier: MIT */
/*
 * agent_blob.S - the agent library (build/pyheap-agent.so without its debug
 * sections), carried inside the pyheap binary so that a copied binary still
 * works. The Makefile
 * assembles this with -Wa,-I$(BUILD) so that .incbin finds the library.
 */
	.section .rodata
	.balign 64
	.globl ph_agent_blob
	.type ph_agent_blob, @object
ph_agent_blob:
	.incbin "pyheap-agent-embed.so"
	.globl ph_agent_blob_end
ph_agent_blob_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
