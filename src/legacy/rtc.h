/* rtc.h - the MC146818 CMOS RTC at 0x70/0x71 with the host's wall-clock time, and the
 * CMOS bytes a PC BIOS would leave (memory size). */
#ifndef VFVM_RTC_H
#define VFVM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include "core/clock.h"
#include "core/irq.h"

struct rtc;

/* @ram_size lets the CMOS memory-size bytes be filled in as a BIOS would. */
struct rtc *rtc_new(const struct irq_line *irq8, const struct clock_ops *clk, uint64_t ram_size);
void rtc_free(struct rtc *r);
/* Bus handler at 0x70 (len 2). */
void rtc_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void rtc_tick(struct rtc *r);
/* The RESET pin (guest reboot): interrupt enables and flags cleared; time and RAM kept. */
void rtc_reset(struct rtc *r);
/* The host wall clock reads @unix_ns (ns since 1970, UTC) now; rtc_new() reads CLOCK_REALTIME.
 * For tests, and for a VMM that wants to start its guest at another date. */
void rtc_set_wall_ns(struct rtc *r, int64_t unix_ns);
/* Set CMOS RAM byte @idx (0x0E-0x7F; others ignored), e.g. what a BIOS would leave there. */
void rtc_cmos_set(struct rtc *r, unsigned idx, uint8_t val);

#endif
