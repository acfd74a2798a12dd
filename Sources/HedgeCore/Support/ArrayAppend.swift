// `Array.append(_:)`, out of line: one copy per element type.
//
// The standard library's `append` is inlinable, and Embedded Swift copied it (the uniqueness check,
// the capacity check, the store) into every use. The declaration here is found before the standard
// library's (as in StringOutOfLine.swift); it calls the standard library's own through the protocol
// requirement, so it does exactly what that does.

@inline(__always)
func standardAppend<C: RangeReplaceableCollection>(_ c: inout C, _ e: __owned C.Element) { c.append(e) }

extension Array {
    @inline(never)
    public mutating func append(_ newElement: __owned Element) { standardAppend(&self, newElement) }
}
