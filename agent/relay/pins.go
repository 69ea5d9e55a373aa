package relay

// headerPins maps the BCM GPIO numbers on the Raspberry Pi's 40-pin header to their pins.
var headerPins = map[int]int{
	2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31,
	13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26,
	1: 28, 12: 32, 16: 36, 20: 38, 21: 40,
}

// HeaderPin returns the 40-pin header pin of BCM GPIO line, or 0 when it is not on the header.
func HeaderPin(line int) int { return headerPins[line] }
