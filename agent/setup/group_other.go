//go:build !unix

package setup

import "os"

// groupOf is -1 where files have no Unix group.
func groupOf(os.FileInfo) int { return -1 }
