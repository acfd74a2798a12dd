import HedgeCore
