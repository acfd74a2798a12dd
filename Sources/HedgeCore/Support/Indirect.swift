/// A stored property kept behind one reference, as an `indirect` enum case keeps its payload: a
/// copy of the struct holding it retains that reference instead of copying the value field by
/// field, which for the large, optional parts of a config draft was much of the code on 32-bit ARM.
/// Setting it allocates a new box; reading it does not.
@propertyWrapper
struct Indirect<Value> {
    private indirect enum Box { case value(Value) }
    private var box: Box

    init(wrappedValue: Value) { box = .value(wrappedValue) }

    var wrappedValue: Value {
        get { switch box { case .value(let v): return v } }
        set { box = .value(newValue) }
    }
}
