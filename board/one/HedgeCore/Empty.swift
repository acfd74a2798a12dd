// The Embedded build's HedgeCore: there its sources compile into the hedge module (Package.swift), and
// this empty module keeps their `import HedgeCore` resolving.
