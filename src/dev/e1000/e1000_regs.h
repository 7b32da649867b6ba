/*
 * Intel 8254x registers and descriptors, from the "PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual" (317453, rev 4.0): section numbers below are its.
 */
#ifndef NK_DEV_E1000_REGS_H
#define NK_DEV_E1000_REGS_H

#include <nautilus/types.h>

/* Register offsets in BAR0 (Table 13-2, register summary). */
#define E1000_CTRL     0x00000 /* 13.4.1  Device Control */
#define E1000_STATUS   0x00008 /* 13.4.2  Device Status */
#define E1000_EECD     0x00010 /* 13.4.3  EEPROM/Flash Control and Data */
#define E1000_EERD     0x00014 /* 13.4.4  EEPROM Read */
#define E1000_CTRL_EXT 0x00018 /* 13.4.6  Extended Device Control */
#define E1000_ICR      0x000c0 /* 13.4.17 Interrupt Cause Read (clears on read) */
#define E1000_ITR      0x000c4 /* 13.4.18 Interrupt Throttling */
#define E1000_ICS      0x000c8 /* 13.4.19 Interrupt Cause Set */
#define E1000_IMS      0x000d0 /* 13.4.20 Interrupt Mask Set/Read */
#define E1000_IMC      0x000d8 /* 13.4.21 Interrupt Mask Clear */
#define E1000_RCTL     0x00100 /* 13.4.22 Receive Control */
#define E1000_TCTL     0x00400 /* 13.4.33 Transmit Control */
#define E1000_TIPG     0x00410 /* 13.4.34 Transmit Inter Packet Gap */
#define E1000_RDBAL    0x02800 /* 13.4.25 Receive Descriptor Base Address Low */
#define E1000_RDBAH    0x02804 /* 13.4.26 Receive Descriptor Base Address High */
#define E1000_RDLEN    0x02808 /* 13.4.27 Receive Descriptor Length (bytes, 128-aligned) */
#define E1000_RDH      0x02810 /* 13.4.28 Receive Descriptor Head */
#define E1000_RDT      0x02818 /* 13.4.29 Receive Descriptor Tail */
#define E1000_RDTR     0x02820 /* 13.4.30 Receive Delay Timer */
#define E1000_TDBAL    0x03800 /* 13.4.36 Transmit Descriptor Base Address Low */
#define E1000_TDBAH    0x03804 /* 13.4.37 Transmit Descriptor Base Address High */
#define E1000_TDLEN    0x03808 /* 13.4.38 Transmit Descriptor Length (bytes, 128-aligned) */
#define E1000_TDH      0x03810 /* 13.4.39 Transmit Descriptor Head */
#define E1000_TDT      0x03818 /* 13.4.40 Transmit Descriptor Tail */
#define E1000_TIDV     0x03820 /* 13.4.41 Transmit Interrupt Delay Value */
#define E1000_MTA      0x05200 /* 13.5.1  Multicast Table Array, 128 dwords */
#define E1000_RAL0     0x05400 /* 13.5.2  Receive Address Low, entry 0 */
#define E1000_RAH0     0x05404 /* 13.5.3  Receive Address High, entry 0 */
#define E1000_MTA_LEN  128     /* 13.5.1  dwords in the MTA */

/* Statistics (13.7): clear on read; 64-bit ones clear when the high half is read. */
#define E1000_STATS_FIRST 0x04000 /* 13.7    first statistics register */
#define E1000_STATS_LAST  0x040fc /* 13.7    last statistics register (TSCTFC) */
#define E1000_CRCERRS	  0x04000 /* 13.7.1  CRC Error Count */
#define E1000_RXERRC	  0x0400c /* 13.7.4  RX Error Count */
#define E1000_MPC	  0x04010 /* 13.7.5  Missed Packets Count (RX FIFO full; causes RXO) */
#define E1000_RLEC	  0x04040 /* 13.7.15 Receive Length Error Count */
#define E1000_GPRC	  0x04074 /* 13.7.27 Good Packets Received Count */
#define E1000_GPTC	  0x04080 /* 13.7.30 Good Packets Transmitted Count */
#define E1000_GORCL	  0x04088 /* 13.7.31 Good Octets Received Count, low */
#define E1000_GOTCL	  0x04090 /* 13.7.32 Good Octets Transmitted Count, low */
#define E1000_RNBC	  0x040a0 /* 13.7.33 Receive No Buffers Count */

/* CTRL bits (13.4.1, Table 13-3). */
#define E1000_CTRL_ASDE	   (1u << 5)  /* auto-speed detection enable */
#define E1000_CTRL_SLU	   (1u << 6)  /* set link up */
#define E1000_CTRL_RST	   (1u << 26) /* device reset, self-clearing */
#define E1000_CTRL_VME	   (1u << 30) /* VLAN mode enable */
#define E1000_CTRL_PHY_RST (1u << 31) /* PHY reset */
#define E1000_CTRL_LRST	   (1u << 3)  /* link reset */

/* STATUS bits (13.4.2, Table 13-5). */
#define E1000_STATUS_LU (1u << 1) /* link up */

/*
 * EERD (13.4.4, Table 13-7). The 82541xx and 82547GI/EI move DONE to bit 1 and ADDR to 15:2;
 * the others have DONE at bit 4 and ADDR at 15:8.
 */
#define E1000_EERD_START	    (1u << 0)
#define E1000_EERD_DONE		    (1u << 4)
#define E1000_EERD_ADDR_SHIFT	    8
#define E1000_EERD_DONE_SMALL	    (1u << 1)
#define E1000_EERD_ADDR_SHIFT_SMALL 2
#define E1000_EERD_DATA_SHIFT	    16
#define E1000_EEPROM_MAC_WORD	    0 /* 5.6.1 Ethernet Address: words 0-2, low byte first */

/* RAH (13.5.3). */
#define E1000_RAH_AV (1u << 31) /* address valid */

/* Interrupt causes, the same bits in ICR, ICS, IMS, IMC (13.4.17, Table 13-63). */
#define E1000_ICR_TXDW	 (1u << 0) /* transmit descriptor written back */
#define E1000_ICR_TXQE	 (1u << 1) /* transmit queue empty */
#define E1000_ICR_LSC	 (1u << 2) /* link status change */
#define E1000_ICR_RXDMT0 (1u << 4) /* receive descriptors at the minimum threshold */
#define E1000_ICR_RXO	 (1u << 6) /* receiver overrun */
#define E1000_ICR_RXT0	 (1u << 7) /* receiver timer interrupt (a frame arrived) */

/* RCTL bits (13.4.22, Table 13-67). */
#define E1000_RCTL_EN	      (1u << 1)	 /* receiver enable */
#define E1000_RCTL_SBP	      (1u << 2)	 /* store bad packets */
#define E1000_RCTL_UPE	      (1u << 3)	 /* unicast promiscuous */
#define E1000_RCTL_MPE	      (1u << 4)	 /* multicast promiscuous */
#define E1000_RCTL_LPE	      (1u << 5)	 /* long packet enable */
#define E1000_RCTL_RDMTS_HALF (0u << 8)	 /* RXDMT0 when half the descriptors are free */
#define E1000_RCTL_BAM	      (1u << 15) /* broadcast accept mode */
#define E1000_RCTL_BSIZE_2048 (0u << 16) /* buffer size 2048 (BSEX = 0) */
#define E1000_RCTL_SECRC      (1u << 26) /* strip the Ethernet CRC */

/* TCTL bits (13.4.33, Table 13-76). */
#define E1000_TCTL_EN	      (1u << 1) /* transmit enable */
#define E1000_TCTL_PSP	      (1u << 3) /* pad short packets */
#define E1000_TCTL_CT_SHIFT   4		/* collision threshold, recommended 0Fh */
#define E1000_TCTL_COLD_SHIFT 12	/* collision distance, 40h for full duplex */
#define E1000_TCTL_CT_DEFAULT 0x0f
#define E1000_TCTL_COLD_FULL  0x40

/* TIPG recommended for copper 82540/82541/82544/82545/82546/82547 (13.4.34, Table 13-77). */
#define E1000_TIPG_COPPER (10u | (8u << 10) | (6u << 20))

/* Legacy receive descriptor (3.2.3, Table 3-1). */
struct e1000_rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
} __attribute__((packed));

#define E1000_RXD_STAT_DD  (1u << 0) /* 3.2.3.1 descriptor done */
#define E1000_RXD_STAT_EOP (1u << 1) /* 3.2.3.1 end of packet */
/* 3.2.3.2 errors: CE, SE, SEQ, CXE, RXE (TCPE/IPE belong to checksum offload, off here). */
#define E1000_RXD_ERR_FRAME 0x97

/* Legacy transmit descriptor (3.3.3, Table 3-8). */
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
} __attribute__((packed));

#define E1000_TXD_CMD_EOP  (1u << 0) /* 3.3.3.1 end of packet */
#define E1000_TXD_CMD_IFCS (1u << 1) /* 3.3.3.1 insert FCS */
#define E1000_TXD_CMD_RS   (1u << 3) /* 3.3.3.1 report status (write DD back) */
#define E1000_TXD_STAT_DD  (1u << 0) /* 3.3.3.2 descriptor done */

#endif
