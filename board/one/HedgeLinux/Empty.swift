// The Embedded build's HedgeLinux: there its sources compile into the hedge module (Package.swift), and
// this empty module keeps their `import HedgeLinux` resolving.
