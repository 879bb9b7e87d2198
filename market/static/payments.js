// The buyer's card payment: Stripe's Payment Element on the order's payment page.
(function () {
  var box = document.getElementById('stripe-payment');
  if (!box || !window.Stripe) { return; }
  var stripe = window.Stripe(box.dataset.key);
  var elements = stripe.elements({ clientSecret: box.dataset.secret });
  elements.create('payment').mount('#stripe-element');
  document.getElementById('stripe-form').addEventListener('submit', function (event) {
    event.preventDefault();
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: box.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) { document.getElementById('stripe-error').textContent = result.error.message; }
      });
  });
}());
