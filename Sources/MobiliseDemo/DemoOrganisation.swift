/// The demo organisation (being written).
public enum DemoOrganisation {}
