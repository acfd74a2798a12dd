public enum HedgeVersion {
    public static let string = "0.1.0"
}
