public enum MobiliseTesting {}
