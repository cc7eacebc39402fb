/* rtc.h - the MC146818 CMOS RTC at 0x70/0x71 with the host's wall-clock time, and the
 * CMOS bytes a PC BIOS would leave (memory size). */
#ifndef VFVM_RTC_H
#define VFVM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include "../clock.h"
#include "../irq.h"

struct rtc;

/* @ram_size lets the CMOS memory-size bytes be filled in as a BIOS would. */
struct rtc *rtc_new(const struct irq_line *irq8, const struct clock_ops *clk, uint64_t ram_size);
void rtc_free(struct rtc *r);
/* Bus handler at 0x70 (len 2). */
void rtc_io(void *opaque, uint64_t off, void *data, unsigned len, bool is_write);
void rtc_tick(struct rtc *r);

#endif
