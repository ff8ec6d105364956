/** The analyst's token lives in this tab's session storage only: never in a URL, never in local storage. */
const TOKEN_KEY = 'tm-proxy-token';

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const keepToken = (value: string) => sessionStorage.setItem(TOKEN_KEY, value);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);
