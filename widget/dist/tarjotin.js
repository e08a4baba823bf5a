// Placeholder: the real widget bundle is built in widget/ and replaces this file.
if (!customElements.get('tarjotin-search')) {
  customElements.define('tarjotin-search', class extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const p = document.createElement('p');
      p.textContent = 'Hakukomponenttia ei ole vielä koottu (the Tarjotin widget is not built yet).';
      this.attachShadow({ mode: 'open' }).append(p);
    }
  });
}
