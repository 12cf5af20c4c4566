# %% [markdown]
# # The whole post as a notebook
#
# Inline $\sigma(a)$ and display
#
# $$E = -\sum_n \log \sigma(a_n)$$

# %%
import logreg
X, y = logreg.make_blobs(100, seed=0)
print(X.shape)
