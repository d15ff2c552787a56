"""Community group-buying (社区团购): leaders (团长) with their pickup points, activities with a
group price, a minimum to form (成团), a cut-off and per-leader stock holds, orders through a
leader's link, pick lists, pickup with the fulfilment codes, and the leaders' commission
ledger (pending → frozen → available → withdrawn, integer fen)."""
