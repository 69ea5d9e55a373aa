//go:build !unix

package statefile

import "os"

// owners are -1 where files have no Unix owners.
func owners(os.FileInfo) (uid, gid int) { return -1, -1 }
