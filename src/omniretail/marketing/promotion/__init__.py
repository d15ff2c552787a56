"""Automatic promotions (促销): flash sales with a stock cap, bundles, team buying, holiday themes,
and the pricing function that applies promotions then coupons to a basket."""
