// Command srdecode reads the kernel's gpio trace events (tracefs, one event a line) and decodes
// what a 74HC595 chain did with them, as the chips would: a bit taken from the data line at each
// rising clock edge, the outputs set at each rising latch edge. It prints one line a latch,
// "latch <outputs> oe=<enable level>" (output 1 first, 1 for a high output; ? for an enable not
// seen since the trace began), and one line for each change of the output enable, "oe <level>".
//
//	srdecode DATA CLOCK LATCH ENABLE OUTPUTS < trace
//
// DATA, CLOCK, LATCH and ENABLE are the lines' global gpio numbers, as the events name them.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: srdecode DATA CLOCK LATCH ENABLE OUTPUTS < trace")
		os.Exit(2)
	}
	var n [5]int
	for i, a := range os.Args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "srdecode:", err)
			os.Exit(2)
		}
		n[i] = v
	}
	data, clock, latch, enable, outputs := n[0], n[1], n[2], n[3], n[4]
	level := map[int]int{enable: -1}
	var shifted []int
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		// "... gpio_value: 971 set 1"; gpio_direction events carry no level change of their own.
		_, ev, ok := strings.Cut(sc.Text(), "gpio_value: ")
		if !ok {
			continue
		}
		var gpio, v int
		if _, err := fmt.Sscanf(ev, "%d set %d", &gpio, &v); err != nil {
			continue
		}
		old, seen := level[gpio]
		level[gpio] = v
		switch {
		case gpio == clock && old == 0 && v == 1:
			shifted = append(shifted, level[data])
		case gpio == latch && old == 0 && v == 1:
			var b strings.Builder
			for i := range outputs { // output 1 is the last bit shifted
				bit := 0
				if j := len(shifted) - 1 - i; j >= 0 {
					bit = shifted[j]
				}
				fmt.Fprint(&b, bit)
			}
			oe := "?" // not seen since the trace began
			if level[enable] >= 0 {
				oe = strconv.Itoa(level[enable])
			}
			fmt.Printf("latch %s oe=%s\n", b.String(), oe)
			shifted = nil
		case gpio == enable && (!seen || old != v):
			fmt.Printf("oe %d\n", v)
		}
	}
}
